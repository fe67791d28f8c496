/**
 * The port's host filter (ShareInstanceFilter.host, VolumeFilter.host): a pool address
 * (`host@backend#pool`) matches that pool exactly; a back-end address (`host@backend`) matches
 * every pool of that back end. Tables that take the filter keep `backend_host` beside `host`,
 * so both cases are an indexed equality in every dialect. `LIKE 'host@backend#%'` would be
 * case-insensitive in SQLite and would read `_` in a name as a wildcard.
 */

/** The column to compare with the filter's value. */
export function hostColumn(host: string): 'host' | 'backend_host' {
  return host.includes('#') ? 'host' : 'backend_host';
}
