// Whether the device has a network, as the browser reports it (the window's `online` and `offline`
// events). The sync loop alone notices a lost network only when its long poll fails, which can take
// its whole 30 s; this says so at once. Where there is no window with events (Node, which runs the
// client's integration test), nothing is watched.
import type { DeviceNetworkWatcher } from './types';

export const watchBrowserNetwork: DeviceNetworkWatcher = (onChange) => {
  if (typeof window === 'undefined' || typeof window.addEventListener !== 'function') return () => {};
  const online = () => onChange(true);
  const offline = () => onChange(false);
  window.addEventListener('online', online);
  window.addEventListener('offline', offline);
  if (typeof navigator !== 'undefined' && navigator.onLine === false) offline();
  return () => {
    window.removeEventListener('online', online);
    window.removeEventListener('offline', offline);
  };
};
