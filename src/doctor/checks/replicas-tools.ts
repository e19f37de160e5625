import { judgeTools } from '../../swarm/replica-findings.js';
import { replicaCheck } from '../replicas.js';

export const replicasTools = replicaCheck('replicas.tools', ({ views, expect }) => judgeTools(views, expect));
