import { judgeRedis } from '../../swarm/replica-findings.js';
import { replicaCheck } from '../replicas.js';

export const replicasRedis = replicaCheck('replicas.redis', ({ views, expect }) => judgeRedis(views, expect));
