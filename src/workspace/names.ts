/**
 * Names a person types on the command line, read as cheaply as possible for shell completion:
 * directory listings and one YAML parse, never validation, and the database only if it exists
 * (read-only, no migrations). Nothing here creates a file.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { CHANNELS } from '../channels.js';
import { campaignNames } from '../db/maintenance.js';
import { PROVIDERS_FILE } from '../providers/load.js';
import { directorySource } from '../segments/library.js';
import { findTemplates } from '../templates/files.js';

export const NAME_KINDS = ['segments', 'templates', 'providers', 'campaigns', 'channels'] as const;
export type NameKind = (typeof NAME_KINDS)[number];

function providerNames(workspace: string): string[] {
  try {
    const root = parse(readFileSync(path.join(workspace, PROVIDERS_FILE), 'utf8')) as { providers?: Array<{ name?: unknown }> } | null;
    return (root?.providers ?? []).map((p) => p?.name).filter((n): n is string => typeof n === 'string');
  } catch {
    return [];
  }
}

/** The names of one kind in a workspace; [] when there are none or the source cannot be read. */
export async function workspaceNames(kind: NameKind, workspace: string, dbPath: string): Promise<string[]> {
  switch (kind) {
    case 'segments':
      return directorySource(workspace).names();
    case 'templates':
      try {
        return [...new Set(findTemplates(workspace).map((t) => t.name))];
      } catch {
        return [];
      }
    case 'providers':
      return providerNames(workspace);
    case 'campaigns':
      return campaignNames(dbPath);
    case 'channels':
      return [...CHANNELS];
  }
}
