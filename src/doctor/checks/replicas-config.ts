import { judgeConfig } from '../../swarm/replica-findings.js';
import { replicaCheck } from '../replicas.js';

export const replicasConfig = replicaCheck('replicas.config', ({ views, expect }) => judgeConfig(views, expect));
