/**
 * A piece of SQL with `?` placeholders and the values bound to them, in order. The text is
 * always written by mkt's own code; anything that came from a user travels in `params`.
 */
export interface SqlFragment {
  text: string;
  params: unknown[];
}
