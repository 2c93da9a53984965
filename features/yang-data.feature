@yang @data
Feature: Validating and converting instance data
  Configuration documents are checked against the served modules in XML and JSON, and converted
  between the two encodings without loss.

  Background:
    Given the served modules

  Scenario: A valid XML interface configuration is accepted
    When I read the XML config:
      """
      <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"
                  xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">
        <interface>
          <name>eth0</name>
          <type>ianaift:ethernetCsmacd</type>
          <ipv4 xmlns="urn:ietf:params:xml:ns:yang:ietf-ip">
            <address><ip>192.0.2.1</ip><prefix-length>24</prefix-length></address>
          </ipv4>
        </interface>
      </interfaces>
      """
    Then the document is valid

  Scenario: An out-of-range value is rejected with the path of the leaf
    When I read the JSON config:
      """
      {"ietf-interfaces:interfaces": {"interface": [{"name": "eth0",
        "type": "iana-if-type:ethernetCsmacd", "ietf-ip:ipv4": {"mtu": 70000}}]}}
      """
    Then the document is rejected at "/ietf-interfaces:interfaces/interface[name='eth0']/ietf-ip:ipv4/mtu"

  Scenario: A leafref to a missing interface fails validation
    When I read the JSON config:
      """
      {"ietf-routing:routing": {"control-plane-protocols": {"control-plane-protocol": [{
        "type": "ietf-routing:static", "name": "st",
        "static-routes": {"ietf-ipv4-unicast-routing:ipv4": {"route": [{
          "destination-prefix": "0.0.0.0/0",
          "next-hop": {"outgoing-interface": "eth9"}}]}}}]}}}
      """
    Then validation reports "instance-required" at "/ietf-routing:routing/control-plane-protocols/control-plane-protocol[type='ietf-routing:static'][name='st']/static-routes/ietf-ipv4-unicast-routing:ipv4/route[destination-prefix='0.0.0.0/0']/next-hop/outgoing-interface"

  Scenario: XML converts to RFC 7951 JSON and back unchanged
    When I read the XML config:
      """
      <routing xmlns="urn:ietf:params:xml:ns:yang:ietf-routing">
        <router-id>192.0.2.1</router-id>
      </routing>
      """
    And I convert it to JSON
    Then the JSON contains '"ietf-routing:routing"'
    And converting the JSON back gives the same XML
