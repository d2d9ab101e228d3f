/**
 * Image grids for the applications, built on {@link imageGrid}: a retrieval grid (each query, then its top
 * hits framed green when they are the query's person and orange when not) and a cluster grid (one row per
 * cluster; with labels, faces of the cluster's majority person framed green, the others orange).
 *
 * @see notebooks/08-applications.ipynb
 */
import { imageGrid, PAIR_COLOURS, type GridCell, type GridImage, type GridOptions, type GridRow } from './grid';

/** One query and its ranked hits. */
export interface RetrievalGridRow {
  readonly query: GridImage;
  readonly queryLabel: string;
  readonly hits: readonly { readonly image: GridImage; readonly label: string; readonly same?: boolean }[];
}

/** One row per query: the query (unframed), then its hits in rank order, framed by right / wrong person. */
export async function retrievalGrid(rows: readonly RetrievalGridRow[], options: GridOptions = {}): Promise<Buffer> {
  if (rows.length === 0) throw new RangeError('retrievalGrid needs at least one query');
  const gridRows: GridRow[] = rows.map((r) => ({
    cells: [{ image: r.query, label: r.queryLabel, border: '#222222' },
      ...r.hits.map((h): GridCell => ({ image: h.image, label: h.label, border: h.same === undefined ? undefined : h.same ? PAIR_COLOURS.same : PAIR_COLOURS.different }))],
  }));
  return imageGrid(gridRows, { title: 'query, then its closest faces (green: same person)', ...options });
}

/** One cluster to draw: its faces and, when known, each face's true person. */
export interface ClusterGridItem {
  readonly images: readonly GridImage[];
  readonly persons?: readonly (string | null)[];
}

/**
 * One row per cluster (at most `maxPerRow` faces shown, the row title says how many there are). With
 * persons, the row title names the majority person and each face is framed by whether it is that person.
 */
export async function clusterGrid(clusters: readonly ClusterGridItem[], options: GridOptions & { maxPerRow?: number; maxRows?: number } = {}): Promise<Buffer> {
  if (clusters.length === 0) throw new RangeError('clusterGrid needs at least one cluster');
  const maxPerRow = options.maxPerRow ?? 10;
  const shown = clusters.slice(0, options.maxRows ?? clusters.length);
  const rows: GridRow[] = shown.map((c, k) => {
    const counts = new Map<string, number>();
    for (const p of c.persons ?? []) if (p !== null) counts.set(p, (counts.get(p) ?? 0) + 1);
    const top = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];
    const title = `#${k + 1}: ${c.images.length} face${c.images.length === 1 ? '' : 's'}${top ? `, ${top[1]} ${top[0]}` : ''}`;
    const cells = c.images.slice(0, maxPerRow).map((image, i): GridCell => {
      const person = c.persons?.[i] ?? null;
      return { image, label: person ?? undefined, border: top && person !== null ? (person === top[0] ? PAIR_COLOURS.same : PAIR_COLOURS.different) : undefined };
    });
    return { title, cells };
  });
  const more = clusters.length - shown.length;
  return imageGrid(rows, { title: `${clusters.length} clusters${more > 0 ? ` (the first ${shown.length} shown)` : ''}`, ...options });
}
