export interface Palette {
  background: string;
  surface: string;
  surfaceAlt: string;
  text: string;
  textMuted: string;
  border: string;
  accent: string;
  accentText: string;
  myBubble: string;
  myBubbleText: string;
  botBubble: string;
  botBubbleText: string;
  codeBackground: string;
  danger: string;
  warning: string;
  warningText: string;
  link: string;
}

export const light: Palette = {
  background: '#f6f7fb',
  surface: '#ffffff',
  surfaceAlt: '#eef0f6',
  text: '#161a23',
  textMuted: '#6b7280',
  border: '#e2e5ee',
  accent: '#5b5bd6',
  accentText: '#ffffff',
  myBubble: '#5b5bd6',
  myBubbleText: '#ffffff',
  botBubble: '#ffffff',
  botBubbleText: '#161a23',
  codeBackground: '#f1f3f8',
  danger: '#d93a3a',
  warning: '#fff4d6',
  warningText: '#6b4e00',
  link: '#3f51d4',
};

export const dark: Palette = {
  background: '#0f1117',
  surface: '#181b24',
  surfaceAlt: '#222633',
  text: '#eceef4',
  textMuted: '#9aa1b1',
  border: '#2a2f3d',
  accent: '#8b8bf5',
  accentText: '#0f1117',
  myBubble: '#6c6cf0',
  myBubbleText: '#ffffff',
  botBubble: '#1e2230',
  botBubbleText: '#eceef4',
  codeBackground: '#11141c',
  danger: '#ff6b6b',
  warning: '#3a3015',
  warningText: '#ffd88a',
  link: '#a5b4ff',
};
