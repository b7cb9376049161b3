import { Command, Option } from 'commander';
import { loadConfig } from '../../config.ts';
import { startEmulator } from '../../emulator/index.ts';

type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_EMULATOR_APP = { appId: 'cohort-local-app', appSecret: 'cohort-local-secret' } as const;

export function tiktokEmulatorCommand(env: Env): Command {
  return new Command('tiktok-emulator')
    .description("Run the TikTok Marketing API emulator alone (TikTok's wire format, OAuth consent page, 50 req/s mapping limit)")
    .addOption(new Option('--port <port>', 'port to listen on (0 = any free port) [env TIKTOK_EMULATOR_PORT, default 9400]'))
    .addOption(new Option('--host <host>', 'address to bind').default('127.0.0.1'))
    .addOption(new Option('--app-id <id>', `the app's id [env TIKTOK_APP_ID, default ${DEFAULT_EMULATOR_APP.appId}]`))
    .addOption(new Option('--app-secret <secret>', `the app's secret [env TIKTOK_APP_SECRET, default ${DEFAULT_EMULATOR_APP.appSecret}]`))
    .addOption(new Option('--redirect-uri <url>', 'pin the only redirect_uri the consent page accepts [env TIKTOK_EMULATOR_REDIRECT_URI; default: any]'))
    .action(async (opts: { port?: string; host: string; appId?: string; appSecret?: string; redirectUri?: string }) => {
      const config = loadConfig(env, {
        emulatorPort: opts.port,
        tiktokAppId: opts.appId,
        tiktokAppSecret: opts.appSecret,
        emulatorRedirectUri: opts.redirectUri,
      });
      const emulator = await startEmulator({
        port: config.emulatorPort,
        host: opts.host,
        appId: config.tiktokAppId ?? DEFAULT_EMULATOR_APP.appId,
        appSecret: config.tiktokAppSecret ?? DEFAULT_EMULATOR_APP.appSecret,
        ...(config.emulatorRedirectUri ? { redirectUri: config.emulatorRedirectUri } : {}),
      });
      process.stdout.write(`listening on ${emulator.url}\n`);
      const stop = () => void emulator.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
