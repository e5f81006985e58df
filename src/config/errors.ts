/** A configuration problem: always names the file, the line (0 when the whole file) and the key. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly key: string,
    readonly reason: string,
  ) {
    super(`${file}${line > 0 ? `:${line}` : ''}: ${key ? `${key}: ` : ''}${reason}`);
    this.name = 'ConfigError';
  }
}

/** sysexits EX_CONFIG: the exit code for any configuration error. */
export const EX_CONFIG = 78;
