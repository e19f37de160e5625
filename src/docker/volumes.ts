import type Docker from 'dockerode';
import { unlessAbsent } from './absent.js';

/** Named volumes: whether one exists, listing them by label, creating and removing them. */
export interface VolumeClient {
  volumeExists(name: string): Promise<boolean>;
  /** Names of the volumes that carry all of `labelFilters` (`key=value`). */
  listVolumes(labelFilters: string[]): Promise<string[]>;
  createVolume(name: string, labels: Record<string, string>): Promise<void>;
  removeVolume(name: string): Promise<void>;
}

export function dockerVolumes(docker: Docker): VolumeClient {
  return {
    async volumeExists(name) {
      return (await unlessAbsent(docker.getVolume(name).inspect())) !== undefined;
    },

    async listVolumes(labelFilters) {
      const result = await docker.listVolumes({ filters: { label: labelFilters } });
      return (result.Volumes ?? []).map((volume) => volume.Name);
    },

    async createVolume(name, labels) {
      await docker.createVolume({ Name: name, Labels: labels });
    },

    async removeVolume(name) {
      await docker.getVolume(name).remove();
    },
  };
}
