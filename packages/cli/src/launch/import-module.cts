/**
 * import() for what the CLI bundle leaves out (the engine, the service, other npm packages). Under
 * Node 20, code that `vm.Script` restores from a code cache has no import() of its own ("A dynamic
 * import callback was not specified"), so the bundle borrows this module's, compiled by Node's own
 * loader. Specifiers resolve from here, as they would from any module of the CLI.
 */
export function importModule<T>(specifier: string): Promise<T> {
  return import(specifier) as Promise<T>;
}
