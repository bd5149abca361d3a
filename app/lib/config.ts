// Build-time configuration. Expo inlines EXPO_PUBLIC_* variables into the bundle, so each one
// must be read with a literal `process.env.EXPO_PUBLIC_…` expression (no dynamic lookup).

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

export interface AppConfig {
  /** The homeserver the sign-in screens start with (the user may type another). */
  matrixHomeserver: string;
  /** The AI gateway's bot user: the app lists the rooms it shares with this user. */
  botUserId: string;
}

export const config: AppConfig = {
  matrixHomeserver: nonEmpty(process.env.EXPO_PUBLIC_MATRIX_HOMESERVER) ?? 'http://localhost:8008',
  botUserId: nonEmpty(process.env.EXPO_PUBLIC_BOT_USER_ID) ?? '@clawbot:localhost',
};

export const { matrixHomeserver, botUserId } = config;
