/** Every case of the kit, in the order they run: identity first, then shares and their migrations, volumes last. */
import type { ConformanceCase } from '../case.js';
import { identityCases, poolCases } from './identity.js';
import { shareCases } from './shares.js';
import { shareMigrationCases } from './share-migration.js';
import { shareServerMigrationCases } from './share-server-migration.js';
import { volumeCases } from './volumes.js';

export const allCases: readonly ConformanceCase[] = [...identityCases, ...poolCases, ...shareCases, ...shareMigrationCases, ...shareServerMigrationCases, ...volumeCases];
