import { z } from 'zod';
import { gatewaySchema, remoteWriteSchema, type Settings } from './settings-schema';

/**
 * Secrets are kept out of the settings record, which lives in `storage.sync` and so is copied
 * to the user's browser account: they are stored on this device only (`storage.local`, under
 * the store's secrets key) and merged back into the settings when they are loaded. The record in
 * sync holds each secret as '' (its default), so it stays a complete, valid settings record.
 */
export const secretsSchema = z.object({
  /** The gateway's basic-auth password. Default ''. */
  gatewayPassword: gatewaySchema.shape.password,
  /** The remote-write receiver's basic-auth password. Default ''. */
  remoteWritePassword: remoteWriteSchema.shape.password,
  /** The remote-write receiver's bearer token. Default ''. */
  remoteWriteBearerToken: remoteWriteSchema.shape.bearerToken,
});
export type SettingsSecrets = z.infer<typeof secretsSchema>;

/** The secrets held by `settings`. */
export function secretsOf(settings: Settings): SettingsSecrets {
  return {
    gatewayPassword: settings.gateway.password,
    remoteWritePassword: settings.remoteWrite.password,
    remoteWriteBearerToken: settings.remoteWrite.bearerToken,
  };
}

/** True when no secret is set. */
export function noSecrets(secrets: SettingsSecrets): boolean {
  return Object.values(secrets).every((value) => value === '');
}

/**
 * What is written to storage.local: the gateway password (the one key versions before the
 * remote-write sink read) and every other secret that is set; blanks are their defaults.
 */
export function storedSecrets(secrets: SettingsSecrets): Partial<SettingsSecrets> {
  const stored: Partial<SettingsSecrets> = { gatewayPassword: secrets.gatewayPassword };
  if (secrets.remoteWritePassword !== '') stored.remoteWritePassword = secrets.remoteWritePassword;
  if (secrets.remoteWriteBearerToken !== '') stored.remoteWriteBearerToken = secrets.remoteWriteBearerToken;
  return stored;
}

/** A copy of `settings` with every secret blanked: what may be written to sync. */
export function withoutSecrets(settings: Settings): Settings {
  return {
    ...settings,
    gateway: { ...settings.gateway, password: '' },
    remoteWrite: { ...settings.remoteWrite, password: '', bearerToken: '' },
  };
}

/** A copy of `settings` with `secrets` put in. */
export function withSecrets(settings: Settings, secrets: SettingsSecrets): Settings {
  return {
    ...settings,
    gateway: { ...settings.gateway, password: secrets.gatewayPassword },
    remoteWrite: { ...settings.remoteWrite, password: secrets.remoteWritePassword, bearerToken: secrets.remoteWriteBearerToken },
  };
}

/** True when a stored settings record carries a secret (written by a version before the split). */
export function carriesSecrets(settings: Settings): boolean {
  return !noSecrets(secretsOf(settings));
}
