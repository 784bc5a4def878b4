/**
 * Opt-out and opt-in keywords (docs/provider-facts.md §3). The whole message must be the keyword
 * (case and surrounding spaces aside): "stop" opts out, "please stop" does not, exactly as
 * carriers and Twilio treat it.
 */
export const STOP_KEYWORDS = ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT'] as const;
export const START_KEYWORDS = ['START', 'UNSTOP', 'YES'] as const;

export function keywordOf(body: unknown): 'stop' | 'start' | undefined {
  if (typeof body !== 'string') return undefined;
  const word = body.trim().toUpperCase();
  if ((STOP_KEYWORDS as readonly string[]).includes(word)) return 'stop';
  if ((START_KEYWORDS as readonly string[]).includes(word)) return 'start';
  return undefined;
}
