/** gazertc's version (srv/gazertc/__init__.py), set by vite.config.ts. */
declare const __APP_VERSION__: string;
