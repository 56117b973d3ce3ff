/** A store write refused because its input is invalid (never retryable). */
export class StoreError extends Error {
  readonly retryable = false;
  constructor(
    readonly code: "INVALID_CURSOR",
    message: string,
  ) {
    super(message);
    this.name = "StoreError";
  }
}
