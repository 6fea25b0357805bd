/**
 * Errors that are the user's to fix: bad manifests, unknown images, graph cycles.
 * The CLI prints their message as it is, with no stack trace; anything else is a bug.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
}

/** `file:line:column: message`, the form editors and terminals turn into links. */
export function located(file: string, line: number | undefined, column: number | undefined, message: string): string {
  if (line === undefined) return `${file}: ${message}`;
  return column === undefined ? `${file}:${line}: ${message}` : `${file}:${line}:${column}: ${message}`;
}

export function isUserError(error: unknown): error is UserError {
  return error instanceof UserError;
}
