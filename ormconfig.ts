// Data source for the TypeORM CLI (`npm run migration:run`, `npm run migration:revert`, `npm run typeorm -- ...`),
// configured like the demo app: DATABASE_URL for PostgreSQL, else the SQLite file at DATABASE_PATH.
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { demoDataSourceOptions } from './src/demo/database-options';

export default new DataSource(demoDataSourceOptions());
