// Chooses a consumer's Kafka event source at package time, from Serverless params:
//   mskClusterArn                       → an `msk` event (Amazon MSK)
//   kafkaBootstrapServers (+ access)    → a self-managed `kafka` event; access from
//     kafkaSaslScram512SecretArn, or kafkaVpcSubnets (comma list) + kafkaVpcSecurityGroup
// Lambda's event source mapping retries a failed batch whole; the handler dead-letters poison.
'use strict';

async function param(resolveVariable, name) {
  return resolveVariable(`param:${name}, ''`);
}

// One consumer group per consumer function, named as the local event source names them
// (infra/local/event-source-main.ts): the first keeps the plain group name.
function eventsFor(topicVariable, consumerGroupId) {
  return async ({ resolveVariable }) => {
    const topic = await resolveVariable(topicVariable);
    return kafkaEvents(resolveVariable, topic, consumerGroupId);
  };
}

async function kafkaEvents(resolveVariable, topic, consumerGroupId) {
  const common = { topic, batchSize: 100, maximumBatchingWindow: 1, startingPosition: 'TRIM_HORIZON' };
  const msk = await param(resolveVariable, 'mskClusterArn');
  if (msk) return [{ msk: { ...common, arn: msk, consumerGroupId } }];

  const servers = (await param(resolveVariable, 'kafkaBootstrapServers')) || 'kafka.example.internal:9092';
  const secret = await param(resolveVariable, 'kafkaSaslScram512SecretArn');
  const subnets = (await param(resolveVariable, 'kafkaVpcSubnets')) || 'subnet-00000000';
  const securityGroup = (await param(resolveVariable, 'kafkaVpcSecurityGroup')) || 'sg-00000000';
  const accessConfigurations = secret
    ? { saslScram512Auth: secret }
    : { vpcSubnet: subnets.split(','), vpcSecurityGroup: securityGroup };
  return [
    {
      kafka: {
        ...common,
        bootstrapServers: servers.split(','),
        accessConfigurations,
        consumerGroupId,
      },
    },
  ];
}

module.exports.events = eventsFor('self:custom.profilesTopic', 'hotspots-consumer');
module.exports.spansEvents = eventsFor('self:custom.spansTopic', 'hotspots-consumer.processSpans');
