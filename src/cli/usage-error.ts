/** A mistake in how tsad was called (bad option value, missing argument): exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
