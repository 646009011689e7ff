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
  initializeDataSource,
  type CreateDataSourceOptions,
} from './create-data-source';

export interface DatabaseModuleOptions extends CreateDataSourceOptions {
  /** Apply pending migrations when the module initializes. */
  migrationsRun?: boolean;
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
 * Provides an initialized TypeORM `DataSource` (inject it by its class), registers the `postgres`
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
            const dataSource = createDataSource(options);
            await initializeDataSource(dataSource, { migrationsRun: options.migrationsRun });
            health.register('postgres', async () => {
              await dataSource.query('SELECT 1');
            });
            return dataSource;
          },
        },
        DataSourceCloser,
      ],
      exports: [DataSource],
    };
  }
}
