export const serverDir: string;
export const homeserverTemplatePath: string;
