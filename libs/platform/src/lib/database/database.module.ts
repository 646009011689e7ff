import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import { HealthRegistry } from '../health/health.registry';
import {
  createDataSource,
  DEFAULT_POOL_SIZE,
  initializeDataSource,
  warmPool,
  type CreateDataSourceOptions,
} from './create-data-source';
import { Database } from './database';

export interface DatabaseModuleOptions extends CreateDataSourceOptions {
  /**
   * Apply pending migrations when the module initializes (under the migration advisory lock).
   * Otherwise, a module given `migrations` checks the schema instead and fails naming pending or
   * unknown migrations (`MIGRATIONS_AT_BOOT=false`, production: docs/operations/migrations.md).
   */
  migrationsRun?: boolean;
  /**
   * Opens the whole pool when the module initializes and runs this statement on every connection,
   * and keeps the connections open while idle. For services whose first query on a new connection
   * is slow (PostGIS loads its library into each backend): a burst on a cold pool queued behind
   * connection setup long enough to time requests out (docs/benchmarks.md, Geo).
   */
  warmUpSql?: string;
}

@Injectable()
class DataSourceCloser implements OnApplicationShutdown {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) {
      await this.dataSource.destroy();
    }
  }
}

/**
 * Provides an initialized TypeORM `DataSource` (inject it by its class) and the {@link Database}
 * repositories run their named statements on (docs/adr/0012), registers the `postgres`
 * readiness check and destroys the pool on application shutdown. Needs `HealthModule` (global).
 */
@Module({})
export class DatabaseModule {
  static forRoot(options: DatabaseModuleOptions): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      providers: [
        {
          provide: DataSource,
          inject: [HealthRegistry],
          useFactory: async (health: HealthRegistry): Promise<DataSource> => {
            const dataSource = createDataSource({
              ...options,
              ...(options.warmUpSql ? { keepIdleConnections: true } : {}),
            });
            await initializeDataSource(dataSource, {
              migrationsRun: options.migrationsRun,
              verifySchema:
                !options.migrationsRun && Object.keys(options.migrations ?? {}).length > 0,
            });
            if (options.warmUpSql) {
              await warmPool(dataSource, options.poolSize ?? DEFAULT_POOL_SIZE, options.warmUpSql);
            }
            health.register('postgres', async () => {
              await dataSource.query('SELECT 1');
            });
            return dataSource;
          },
        },
        {
          provide: Database,
          inject: [DataSource],
          useFactory: (ds: DataSource) => new Database(ds),
        },
        DataSourceCloser,
      ],
      exports: [DataSource, Database],
    };
  }
}
