import { judgeReady } from '../../swarm/replica-findings.js';
import { replicaCheck } from '../replicas.js';

export const replicasReady = replicaCheck('replicas.ready', ({ views, expect }) => judgeReady(views, expect));
