/** Small helpers for the text of messages, shared so that each is written once. */

/** The first line that says something: for a one-line error out of a tool's longer output. */
export function firstLine(text: string): string {
  return (text.trim().split('\n')[0] ?? '').trim();
}
