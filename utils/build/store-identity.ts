/**
 * The Firefox add-on id, under the project's own name: AMO, policies.json (`3rdparty` →
 * `Extensions` → id) and `ExtensionSettings` force-install lines know the add-on by it.
 */
export const GECKO_ID = 'webrtc-stats-exporter@webrtc-telemetry.dev';
