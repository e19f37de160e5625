import { judgeKeys } from '../../swarm/replica-findings.js';
import { replicaCheck } from '../replicas.js';

export const replicasKeys = replicaCheck('replicas.keys', ({ views }) => judgeKeys(views));
