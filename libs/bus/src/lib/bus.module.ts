import { Module, type DynamicModule, type ModuleMetadata } from '@nestjs/common';
import { BusClient, type BusClientOptions } from './bus.client';

export const BUS_OPTIONS = Symbol('BUS_OPTIONS');

export interface BusModuleOptions extends BusClientOptions {
  /** Register globally (default true). */
  global?: boolean;
}

export interface BusModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  global?: boolean;
  inject?: Array<string | symbol | (abstract new (...args: never[]) => unknown)>;
  useFactory: (...args: never[]) => BusClientOptions | Promise<BusClientOptions>;
}

/** Provides {@link BusClient} (closed on application shutdown). */
@Module({})
export class BusModule {
  static forRoot(options: BusModuleOptions): DynamicModule {
    return {
      module: BusModule,
      global: options.global ?? true,
      providers: [
        { provide: BUS_OPTIONS, useValue: options },
        {
          provide: BusClient,
          useFactory: (o: BusClientOptions) => new BusClient(o),
          inject: [BUS_OPTIONS],
        },
      ],
      exports: [BusClient, BUS_OPTIONS],
    };
  }

  static forRootAsync(options: BusModuleAsyncOptions): DynamicModule {
    return {
      module: BusModule,
      global: options.global ?? true,
      imports: options.imports ?? [],
      providers: [
        { provide: BUS_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] },
        {
          provide: BusClient,
          useFactory: (o: BusClientOptions) => new BusClient(o),
          inject: [BUS_OPTIONS],
        },
      ],
      exports: [BusClient, BUS_OPTIONS],
    };
  }
}
