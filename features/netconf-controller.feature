@netconf
Feature: A controller configures the device over NETCONF
  SDN controllers work on the candidate under locks, validate, and commit with a confirmation so that a
  change that cuts them off is taken back by the device itself.

  Background:
    Given a NETCONF server with the served modules
    And user "ctl" in group "admin"
    And user "ops" in group "admin"
    And session "controller" of user "ctl"
    And session "operator" of user "ops"

  Scenario: Lock, edit the candidate, validate, confirmed commit, confirm, unlock
    When "controller" sends "<lock><target><running/></target></lock>"
    Then the reply is ok
    When "controller" sends "<lock><target><candidate/></target></lock>"
    Then the reply is ok
    When "controller" sends:
      """
      <edit-config><target><candidate/></target><config>
        <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces" xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">
          <interface><name>uplink0</name><type>ianaift:ethernetCsmacd</type></interface>
        </interfaces>
      </config></edit-config>
      """
    Then the reply is ok
    And running holds the interfaces ""
    When "controller" sends "<validate><source><candidate/></source></validate>"
    Then the reply is ok
    When "controller" sends "<commit><confirmed/><confirm-timeout>120</confirm-timeout></commit>"
    Then the reply is ok
    And running holds the interfaces "uplink0"
    When "controller" sends "<commit/>"
    Then the reply is ok
    When "controller" sends "<unlock><target><candidate/></target></unlock>"
    Then the reply is ok
    When "controller" sends "<unlock><target><running/></target></unlock>"
    Then the reply is ok
    And running holds the interfaces "uplink0"

  Scenario: A confirmed commit that is never confirmed is taken back
    When "controller" sends:
      """
      <edit-config><target><candidate/></target><config>
        <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces" xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">
          <interface><name>risky0</name><type>ianaift:ethernetCsmacd</type></interface>
        </interfaces>
      </config></edit-config>
      """
    And "controller" sends "<commit><confirmed/><confirm-timeout>1</confirm-timeout></commit>"
    Then running holds the interfaces "risky0"
    When 2 seconds pass
    Then running holds the interfaces ""

  Scenario: The controller's session is lost before it confirms
    When "controller" sends:
      """
      <edit-config><target><candidate/></target><config>
        <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces" xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">
          <interface><name>risky1</name><type>ianaift:ethernetCsmacd</type></interface>
        </interfaces>
      </config></edit-config>
      """
    And "controller" sends "<commit><confirmed/></commit>"
    And "controller" closes its session
    And 1 seconds pass
    Then running holds the interfaces ""

  Scenario: Another session cannot write while the controller holds the lock
    When "controller" sends "<lock><target><running/></target></lock>"
    And "operator" sends:
      """
      <edit-config><target><running/></target><config>
        <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces" xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">
          <interface><name>ops0</name><type>ianaift:ethernetCsmacd</type></interface>
        </interfaces>
      </config></edit-config>
      """
    Then the reply is an rpc-error with error-tag "in-use"
    When "operator" sends "<lock><target><running/></target></lock>"
    Then the reply is an rpc-error with error-tag "lock-denied"
    When "controller" sends "<unlock><target><running/></target></unlock>"
    And "operator" sends "<lock><target><running/></target></lock>"
    Then the reply is ok

  Scenario: An invalid candidate fails validation with the path of the missing leaf and is not committed
    When "controller" sends:
      """
      <edit-config><target><candidate/></target><test-option>set</test-option><config>
        <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>half0</name></interface></interfaces>
      </config></edit-config>
      """
    Then the reply is ok
    When "controller" sends "<validate><source><candidate/></source></validate>"
    Then the reply is an rpc-error with error-tag "missing-element"
    And the rpc-error has error-path "/ietf-interfaces:interfaces/interface[name='half0']/type"
    When "controller" sends "<commit/>"
    Then the reply is an rpc-error with error-tag "missing-element"
    And running holds the interfaces ""
    When "controller" sends "<discard-changes/>"
    Then the reply is ok
