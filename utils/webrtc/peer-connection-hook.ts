/** Placeholder: replaced by the hook implementation. */
export function installPeerConnectionHook(_win: Window): void {}
