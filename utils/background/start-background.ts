/** Placeholder: replaced by the background wiring. */
export function startBackground(): void {}
