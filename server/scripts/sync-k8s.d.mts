export const K8S_COPIES: [source: string, copy: string][];
export function staleCopies(): [source: string, copy: string][];
