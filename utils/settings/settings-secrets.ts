import { z } from 'zod';
import { gatewaySchema, type Settings } from './settings-schema';

/**
 * Secrets are kept out of the settings record, which lives in `storage.sync` and so is copied
 * to the user's browser account: they are stored on this device only (`storage.local`, under
 * the store's secrets key) and merged back into the settings when they are loaded. The record in
 * sync holds each secret as '' (its default), so it stays a complete, valid settings record.
 */
export const secretsSchema = z.object({
  /** The gateway's basic-auth password. Default ''. */
  gatewayPassword: gatewaySchema.shape.password,
});
export type SettingsSecrets = z.infer<typeof secretsSchema>;

/** The secrets held by `settings`. */
export function secretsOf(settings: Settings): SettingsSecrets {
  return { gatewayPassword: settings.gateway.password };
}

/** A copy of `settings` with every secret blanked: what may be written to sync. */
export function withoutSecrets(settings: Settings): Settings {
  return { ...settings, gateway: { ...settings.gateway, password: '' } };
}

/** A copy of `settings` with `secrets` put in. */
export function withSecrets(settings: Settings, secrets: SettingsSecrets): Settings {
  return { ...settings, gateway: { ...settings.gateway, password: secrets.gatewayPassword } };
}

/** True when a stored settings record carries a secret (written by a version before the split). */
export function carriesSecrets(settings: Settings): boolean {
  return settings.gateway.password !== '';
}
