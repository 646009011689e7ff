import { Global, Module } from '@nestjs/common';
import { ServiceRpcClient } from './service-rpc.client';

@Global()
@Module({ providers: [ServiceRpcClient], exports: [ServiceRpcClient] })
export class RpcModule {}
