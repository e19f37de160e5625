import { judgeHeartbeats } from '../../swarm/replica-findings.js';
import { replicaCheck } from '../replicas.js';

export const replicasHeartbeat = replicaCheck('replicas.heartbeat', ({ views, heartbeats, expect }) => judgeHeartbeats(views, heartbeats, expect));
