/** `<server>/dokku/<app>`: Dokku's image repository name for the app, on a registry. */
export const repositoryOf = (server: string, app: string): string => `${server}/dokku/${app}`;
