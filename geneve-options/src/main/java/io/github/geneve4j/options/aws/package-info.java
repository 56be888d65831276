/**
 * The AWS Gateway Load Balancer options (class 0x0108): the GWLB endpoint ID (type 1), the attachment ID
 * (type 2) and the flow cookie (type 3), and the reply an appliance sends back.
 */
package io.github.geneve4j.options.aws;
