/** Errors a command raises for the user: printed as `error: <message>`, exit code 255 like Pulumi's. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 255) {
    super(message);
  }
}

/** The failure was already shown to the user (e.g. by the update display); exit without more text. */
export class BailError extends Error {
  constructor(readonly exitCode = 255) {
    super("bail");
  }
}
