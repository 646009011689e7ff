import { Module, type DynamicModule, type InjectionToken, type Provider } from '@nestjs/common';

/**
 * The one way an app provides its validated configuration (loaded by @gad/config at start-up) to
 * every module: a global module exporting the config under the app's token, plus any providers
 * built only from the config (e.g. a signer made from a key in it).
 *
 * `ConfigModule.forApp(GEO_SERVICE_CONFIG, config)` first in the AppModule's imports.
 */
@Module({})
export class ConfigModule {
  static forApp<T>(token: InjectionToken, config: T, extra: Provider[] = []): DynamicModule {
    const tokens = extra.map((provider) =>
      typeof provider === 'function' ? provider : provider.provide,
    );
    return {
      module: ConfigModule,
      global: true,
      providers: [{ provide: token, useValue: config }, ...extra],
      exports: [token, ...tokens],
    };
  }
}
