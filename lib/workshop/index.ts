/**
 * Workshop mode: getting a class ready. `prepareWorkshop` warms every cache the notebooks use and checks their
 * time budgets; `packOffline` writes what laptops need to install with no network.
 *
 * @see docs/workshop.md
 */
export { prepareWorkshop, formatWorkshopReport, notebookBudgets, cacheFillingNotebooks } from './prepare';
export type { PrepareWorkshopOptions, PreparedNotebook, WorkshopReport } from './prepare';
export { packOffline, lockedTarballs } from './pack';
export type { PackOptions, PackReport, LockedTarball } from './pack';
