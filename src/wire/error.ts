// The one result type for malformed bytes. Parsers return a WireError instead of throwing:
// received bytes are never a programming error, so the kernel counts and drops them.

export class WireError {
  constructor(readonly reason: string) {}
  toString(): string {
    return `WireError: ${this.reason}`;
  }
}
