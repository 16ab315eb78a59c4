/**
 * The Firefox add-on id, under the project's own name: AMO, policies.json (`3rdparty` →
 * `Extensions` → id) and `ExtensionSettings` force-install lines know the add-on by it.
 */
export const GECKO_ID = 'webrtc-stats-exporter@webrtc-telemetry.dev';

/**
 * Public key of test builds (E2E_LOOPBACK=1, Chrome): a manifest `key` fixes the extension id, so
 * a managed-policy test can name the extension in Chromium's `3rdparty` policy before it is
 * installed. Only the public half exists anywhere; store builds have no key (the store assigns one).
 */
export const TEST_BUILD_PUBLIC_KEY =
  'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAy+stEEsjtK8Sj7h+nZ52zuooi631ZJLwCdkUf1W5LRjQYpRDAJD4CNl6xo+HhSfqPeGn7QC7EByuz+NVrmSsxdcrYBEoQQGgCvcR/yvTJrPYlEPvziYnIpI3s+dlQvx7HS50+k0DzSeLRPe3+j3yXv6HF6PmSx0alg7uvB7I2Ocpt6sqwQo8iCvFAMjcQV8q8tadBrwzN2woF/Pie+aMJCVyRkqACv5pln2Oe76ENQXORmwd9MCrHk9XbMC/2raKvaUxD7WNXx//OwdGvW9KEXaDVqXQSYFIFAwz/OXxV15nNCu7mDoDz0Tf1BSL1zO0d0FZAfzNQn66LHBhpuJl4QIDAQAB';
