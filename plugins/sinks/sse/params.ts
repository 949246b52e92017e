/**
 * Names of the traces stream's view parameters (CONTRACT 9), once: the routes read them, the
 * dashboard (bundled by vite, so this module stays pure: no imports) keeps them out of its key
 * filters.
 */
export const VIEW_PARAMS = ["follow", "since", "outputs-of"] as const;
