#!/usr/bin/env bash
# CI smoke test of mkt as users install it (run by .ci/run; `npm run test:install`):
#   1. `npm pack` builds the tarball; it holds what runs (dist, bin, drizzle migrations, the sample
#      workspace the demo copies) and no tests or sources;
#   2. `npm install -g` of that tarball into a temporary prefix, and
#   3. `npm ci --omit=dev` in a copy of the checkout (dist/ built, no TypeScript installed)
#   each give an `mkt` that answers --version and runs the demo from another folder.
# 2 and 3 run side by side: most of their time is compiling better-sqlite3.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
version=$(node -p "require('./package.json').version")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mkt-smoke-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "smoke: $*" >&2; exit 1; }

npm pack --silent --pack-destination "$tmp" >/dev/null
tgz="$tmp/mkt-$version.tgz"
[ -f "$tgz" ] || fail "npm pack wrote no $tgz"
tar tzf "$tgz" > "$tmp/contents"
for f in bin/mkt.js dist/cli/main.js dist/db/open.js drizzle/meta/_journal.json providers.yaml mkt.yaml segments/everyone-email.yaml templates/email/spring-sale.mjml; do
  grep -qx "package/$f" "$tmp/contents" || fail "the tarball lacks $f"
done
if grep -E '^package/(test|src|bench|scripts|\.ci)/|\.map$' "$tmp/contents"; then fail "the tarball holds files that do not run (above)"; fi

# 2: a global install from the tarball
( npm install -g --prefix "$tmp/prefix" --prefer-offline --no-audit --no-fund "$tgz" > "$tmp/global.log" 2>&1 ) &
global=$!
# 3: a production install in a checkout (its dist/ built by the developer or a build stage)
mkdir "$tmp/checkout"
git ls-files -z --cached --others --exclude-standard | xargs -0 tar cf - | tar xf - -C "$tmp/checkout"
cp -r dist "$tmp/checkout/dist"
( cd "$tmp/checkout" && npm ci --omit=dev --prefer-offline --no-audit --no-fund > "$tmp/checkout.log" 2>&1 ) &
checkout=$!
wait "$global" || { cat "$tmp/global.log"; fail "npm install -g failed"; }
wait "$checkout" || { cat "$tmp/checkout.log"; fail "npm ci --omit=dev failed"; }
if grep EBADENGINE "$tmp/checkout.log"; then fail "npm ci printed EBADENGINE warnings"; fi
[ ! -e "$tmp/checkout/node_modules/vitest" ] || fail "npm ci --omit=dev installed the dev dependencies"
grep -q "using the dist/ already built" "$tmp/checkout.log" || fail "npm ci --omit=dev did not keep the built dist/"

check() { # $1: a label, then the command that runs mkt
  local label=$1; shift
  local out
  out=$("$@" --version) || fail "$label: mkt --version failed"
  [ "$out" = "$version" ] || fail "$label: mkt --version printed '$out', not $version"
  mkdir -p "$tmp/elsewhere-$label"
  out=$(cd "$tmp/elsewhere-$label" && "$@" demo --customers 300 --dir "$tmp/demo-$label" --json) || fail "$label: mkt demo failed"
  node -e 'const r = JSON.parse(process.argv[1]); if (r.status.state !== "completed" || r.status.counts.sent !== r.plan.recipients) process.exit(1)' "$out" \
    || fail "$label: the demo did not complete: $out"
  echo "smoke: $label: mkt $version --version and demo ok"
}
check global "$tmp/prefix/bin/mkt"
check checkout "$tmp/checkout/bin/mkt.js"
echo "smoke: install checks passed"
