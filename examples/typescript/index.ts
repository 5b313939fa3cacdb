// A team's own Pulumi program that adds the picus API to a VPC it already has.
import * as pulumi from "@pulumi/pulumi";
import * as picus from "@pulumi/picus";

const config = new pulumi.Config();

const api = new picus.ApiCluster("payments-api", {
    network: {
        vpcId: config.require("vpcId"),
        publicSubnetIds: config.requireObject<string[]>("publicSubnetIds"),
        privateSubnetIds: config.requireObject<string[]>("privateSubnetIds"),
    },
    scaling: { minCount: 2, desiredCount: 2, maxCount: 6 },
    // The load balancer's access logs; a VPC of the team's own gets no flow log from it.
    trafficLogs: true,
});

export const apiUrl = api.apiUrl;
export const tableName = api.tableName;
export const dashboardUrl = api.dashboardUrl;
