/**
 * The values of `RTCPeerConnection.connectionState`, in one zod-free module: the page hook
 * checks states against it without pulling zod into its bundle, and report-schema.ts builds
 * its enum from it.
 */
export const CONNECTION_STATES = ['new', 'connecting', 'connected', 'disconnected', 'failed', 'closed'] as const;
