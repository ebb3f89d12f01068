export { orderWorkflow } from './order-workflow.js';
export { deliveryWorkflow } from './delivery-workflow.js';
