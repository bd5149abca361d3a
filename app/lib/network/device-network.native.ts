// Whether the device has a network, as the phone's OS reports it (NetInfo). The sync loop alone
// notices a lost network only when its long poll fails, which can take its whole 30 s; this says so
// at once. `isConnected` null means not known yet: no change is reported. NetInfo reports the current
// state as soon as it is watched: a network there from the start is not a change.
import NetInfo from '@react-native-community/netinfo';
import type { DeviceNetworkWatcher } from './types';

export const watchDeviceNetwork: DeviceNetworkWatcher = (onChange) => {
  let last: boolean | undefined;
  return NetInfo.addEventListener(({ isConnected }) => {
    if (isConnected === null || isConnected === last) return;
    const first = last === undefined;
    last = isConnected;
    if (first && isConnected) return;
    onChange(isConnected);
  });
};
