import { z } from 'zod';
import { connectionStateSchema } from '../webrtc/report-schema';

/** A few headline figures of one connection, derived from its last two reports, for the popup charts. */
export const connectionPointSchema = z.object({
  at: z.number(),
  bitrateInBps: z.number().nullable(),
  bitrateOutBps: z.number().nullable(),
  lossPercent: z.number().nullable(),
  rttSeconds: z.number().nullable(),
  jitterSeconds: z.number().nullable(),
});
export type ConnectionPoint = z.infer<typeof connectionPointSchema>;

export const tabConnectionSchema = z.object({
  groupId: z.string(),
  state: connectionStateSchema,
  origin: z.string(),
  startedAt: z.number(),
  lastReportAt: z.number(),
  /** Recent points, oldest first, capped (a few minutes at the configured interval). */
  points: z.array(connectionPointSchema),
});
export type TabConnection = z.infer<typeof tabConnectionSchema>;

export const tabStatusSchema = z.object({
  tabId: z.number(),
  origin: z.string().nullable(),
  platform: z.string().nullable(),
  /** on: capturing; off: disabled by the user; unsupported: not a platform or custom origin. */
  capture: z.enum(['on', 'off', 'unsupported']),
  connections: z.array(tabConnectionSchema),
});
export type TabStatus = z.infer<typeof tabStatusSchema>;

export const connectionTestResultSchema = z.object({
  ok: z.boolean(),
  /** What failed, in words a user can act on. */
  message: z.string(),
  kind: z.enum(['ok', 'invalid-url', 'permission', 'dns', 'refused', 'timeout', 'auth', 'not-found', 'http', 'network']),
  status: z.number().optional(),
  elapsedMs: z.number(),
});
export type ConnectionTestResult = z.infer<typeof connectionTestResultSchema>;
