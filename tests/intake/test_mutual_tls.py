"""The truststore the stack hands API Gateway admits exactly the vendor's product clients.

The program is run with a product CA whose key the test holds; the truststore object it declares
(the bytes API Gateway reads for the custom domain's mutual TLS) is loaded into a TLS server on
127.0.0.1 that, like API Gateway, requires a client certificate chaining to it. A product's
certificate is accepted and its subject is what the broker reads; a certificate of another CA and
no certificate at all are refused in the handshake, before any request exists. (API Gateway's
own TLS stack is not available here; OpenSSL's verifier is the independent check of the bytes.)
"""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
from pathlib import Path

import pytest

from tcenter.core.stackfiles import load_stack_values


def _server_certificate(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(7).not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "server.pem", directory / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def _write_client(directory: Path, name: str, cert, key) -> tuple[Path, Path]:
    from cryptography.hazmat.primitives import serialization

    cert_path, key_path = directory / f"{name}.pem", directory / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
def declared_truststore(pki, declare_with) -> str:
    values = load_stack_values("dev")
    values["transparency-center:intake"]["productCaCertificates"] = [pki.ca_pem]
    run = declare_with(values)
    store = run.by_type("aws:s3/bucketObjectv2:BucketObjectv2")[0]
    domain = run.by_type("aws:apigateway/domainName:DomainName")[0]
    assert domain.inputs["mutualTlsAuthentication"]["truststoreUri"].endswith("/" + store.inputs["key"])
    return store.inputs["content"]


def test_the_declared_truststore_admits_product_clients_only(declared_truststore, pki, tmp_path):
    server_cert, server_key = _server_certificate(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(server_cert, server_key)
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cadata=declared_truststore)

    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)
    port = listener.getsockname()[1]
    outcomes: list[str] = []
    attempts = 3

    def serve() -> None:
        for _ in range(attempts):  # bounded: one connection per case
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            connection.settimeout(10)
            try:
                with context.wrap_socket(connection, server_side=True) as tls:
                    subject = dict(x[0] for x in tls.getpeercert()["subject"])
                    outcomes.append(f"accepted {subject['commonName']}/{subject['organizationalUnitName']}")
                    tls.sendall(b"ok")
            except (ssl.SSLError, OSError) as error:
                outcomes.append(f"refused {type(error).__name__}")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()

    def connect(client: tuple[Path, Path] | None) -> None:
        client_context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        client_context.load_verify_locations(server_cert)
        if client:
            client_context.load_cert_chain(*client)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, \
                    client_context.wrap_socket(raw, server_hostname="localhost") as tls:
                tls.recv(2)
        except (ssl.SSLError, OSError):
            pass

    connect(_write_client(tmp_path, "product", *pki.client("client-42", "europe")))
    connect(_write_client(tmp_path, "rogue", *pki.client("client-43", "europe", rogue=True)))
    connect(None)
    thread.join(timeout=30)
    listener.close()
    assert outcomes[0] == "accepted client-42/europe"
    assert [o.split()[0] for o in outcomes[1:]] == ["refused", "refused"]


def test_the_placeholder_ca_of_every_stack_is_a_ca():
    from components.config.intake import ca_certificate_problem

    for stack in ("dev", "staging", "zurich-prod"):
        for pem in load_stack_values(stack)["transparency-center:intake"]["productCaCertificates"]:
            assert ca_certificate_problem(pem) is None
