import { judgeVersion } from '../../swarm/replica-findings.js';
import { replicaCheck } from '../replicas.js';

export const replicasVersion = replicaCheck('replicas.version', ({ views, expect }) => judgeVersion(views, expect));
